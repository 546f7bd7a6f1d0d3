// How NovaError codes ride inside JSON-RPC 2.0 error objects: the numeric code is
// JSON-RPC's own (so generic clients understand it), `data` carries our shape.
import { ErrorShapeSchema, type ErrorCode, type ErrorShape } from '../errors.js';

const JSON_RPC_CODES: Record<ErrorCode, number> = {
  protocol: -32600,
  frame_too_large: -32010,
  unknown_method: -32601,
  invalid_argument: -32602,
  internal: -32603,
  not_authorized: -32001,
  not_found: -32002,
  already_exists: -32003,
  failed_precondition: -32004,
  unavailable: -32005,
  unsupported: -32006,
  timeout: -32007,
  cancelled: -32008,
  locked: -32009,
};

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export const JSON_RPC_PARSE_ERROR = -32700;

export function toJsonRpcError(shape: ErrorShape, code = JSON_RPC_CODES[shape.code]): JsonRpcErrorObject {
  return { code, message: shape.message, data: shape };
}

/** Rebuilds our shape from a JSON-RPC error, also from peers that send no `data`. */
export function fromJsonRpcError(error: { code?: unknown; message?: unknown; data?: unknown }): ErrorShape {
  const parsed = ErrorShapeSchema.safeParse(error.data);
  if (parsed.success) return parsed.data;
  const message = typeof error.message === 'string' ? error.message : 'unknown error';
  if (error.code === -32700) return { code: 'protocol', message };
  const entry = Object.entries(JSON_RPC_CODES).find(([, n]) => n === error.code);
  return { code: (entry?.[0] as ErrorCode | undefined) ?? 'internal', message };
}
