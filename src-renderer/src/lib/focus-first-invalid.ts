// After a submit that the form refused, focus goes to the first field in error, so a
// keyboard or screen-reader user lands on what to fix (its error is read with it, through
// aria-describedby). The errors render with the state that the refusal just set, so the
// look happens on the next frame, once React has committed them.

export function focusFirstInvalid(form: HTMLFormElement | null): void {
  if (!form) return;
  requestAnimationFrame(() => form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
}
