import { describe, expect, it } from 'vitest';
import { ErrorCodeSchema, NovaError, toErrorShape } from '../errors.js';
import { fromJsonRpcError, toJsonRpcError } from './rpc-errors.js';

describe('error codes across JSON-RPC', () => {
  it.each(ErrorCodeSchema.options)('%s survives the round trip with message and details', (code) => {
    const original = new NovaError(code, `failed: ${code}`, { where: 'test' });
    const wire = JSON.parse(JSON.stringify(toJsonRpcError(original.toShape())));
    const back = NovaError.fromShape(fromJsonRpcError(wire));
    expect(back.code).toBe(code);
    expect(back.message).toBe(`failed: ${code}`);
    expect(back.details).toEqual({ where: 'test' });
  });

  it('gives every code its own JSON-RPC number, so peers without data still map back', () => {
    for (const code of ErrorCodeSchema.options) {
      const { code: n, message } = toJsonRpcError({ code, message: 'm' });
      expect(fromJsonRpcError({ code: n, message }).code).toBe(code);
    }
  });

  it('maps a bare JSON-RPC parse error to protocol', () => {
    expect(fromJsonRpcError({ code: -32700, message: 'Parse error' }).code).toBe('protocol');
  });

  it('turns unknown thrown values into internal errors', () => {
    expect(toErrorShape(new TypeError('boom'))).toEqual({ code: 'internal', message: 'boom' });
    expect(toErrorShape('text')).toEqual({ code: 'internal', message: 'text' });
  });
});
