// Must be the renderer's first import: zod decides at schema construction whether to
// compile parsers with `new Function`, which our CSP (no 'unsafe-eval') forbids and
// reports as a violation even when zod catches the failure.
import { z } from 'zod';

z.config({ jitless: true });
