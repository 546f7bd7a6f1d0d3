// NovaApi: every method any Nova process offers, composed from one table per feature.
// The preload bridge, main's handlers, the helper's allow-list and the clients all
// derive from this object, so a method exists in all of them or in none.
import type { z } from 'zod';
import type { Envelope } from '../errors.js';
import type { NovaEvent } from './events.js';
import { appMethods } from './app-api.js';
import { capsuleMethods } from './capsule-api.js';
import { deviceMethods } from './device-api.js';
import { sriovMethods } from './sriov-api.js';
import { eventMethods } from './event-api.js';
import { METHOD_NAME_PATTERN, type MethodDef } from './define.js';
import { hostMethods } from './host-api.js';
import { hostsMethods } from './hosts-api.js';
import { metricsMethods } from './metrics-api.js';
import { networkMethods } from './network-api.js';
import { operationMethods } from './operation-api.js';
import { projectMethods } from './project-api.js';
import { vmMethods } from './vm-api.js';
import { vmUsbMethods } from './vm-usb-api.js';
import { vmMigrationMethods } from './vm-migration-api.js';
import { guestMoveMethods } from './guest-move-api.js';
import { vmMoveMethods } from './vm-move-api.js';
import { capsuleMoveMethods } from './capsule-move-api.js';

export const novaApi = {
  ...appMethods,
  ...projectMethods,
  ...hostMethods,
  ...hostsMethods,
  ...vmMethods,
  ...vmUsbMethods,
  ...vmMigrationMethods,
  ...guestMoveMethods,
  ...vmMoveMethods,
  ...capsuleMoveMethods,
  ...metricsMethods,
  ...networkMethods,
  ...capsuleMethods,
  ...operationMethods,
  ...deviceMethods,
  ...sriovMethods,
  ...eventMethods,
} as const;

export type NovaApiTable = typeof novaApi;
export type MethodName = keyof NovaApiTable;
export type ParamsIn<M extends MethodName> = z.input<NovaApiTable[M]['params']>;
export type ParamsOf<M extends MethodName> = z.output<NovaApiTable[M]['params']>;
export type ResultOf<M extends MethodName> = z.output<NovaApiTable[M]['result']>;

export const METHOD_NAMES = Object.keys(novaApi) as MethodName[];

export type HelperMethodName = {
  [M in MethodName]: NovaApiTable[M]['served'] extends { by: 'helper' } ? M : never;
}[MethodName];

export const HELPER_METHOD_NAMES = METHOD_NAMES.filter(
  (m) => novaApi[m].served.by === 'helper',
) as HelperMethodName[];

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(novaApi, name);
}

export function methodDef(name: MethodName): MethodDef {
  return novaApi[name] as MethodDef;
}

/** `host.check` -> ['host', 'check']; names are checked against METHOD_NAME_PATTERN by a test. */
export function splitMethodName(name: string): [string, string] {
  if (!METHOD_NAME_PATTERN.test(name)) throw new Error(`bad method name ${name}`);
  const [group, verb] = name.split('.') as [string, string];
  return [group, verb];
}

type GroupOf<M> = M extends `${infer G}.${string}` ? G : never;
type VerbOf<M, G extends string> = M extends `${G}.${infer V}` ? V : never;

/** The nested shape of window.nova: nova.host.check(params) resolves to an envelope. */
export type NovaBridge<Wrap extends 'envelope' | 'value'> = {
  [G in GroupOf<MethodName>]: {
    [V in VerbOf<MethodName, G>]: `${G}.${V}` extends infer M extends MethodName
      ? (params?: ParamsIn<M>, host?: string) => Promise<
          Wrap extends 'envelope' ? Envelope<ResultOf<M>> : ResultOf<M>
        >
      : never;
  };
};

/**
 * Exactly what the preload exposes as window.nova: one function per method, nested by
 * group, each resolving to an envelope (typed errors do not survive contextBridge) and
 * taking the host to serve it (a saved host's name; this machine when absent),
 * plus a subscription to the event stream. Nothing else.
 */
export type NovaWindowApi = NovaBridge<'envelope'> & {
  subscribe(listener: (event: NovaEvent) => void): () => void;
};
