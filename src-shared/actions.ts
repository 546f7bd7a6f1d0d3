// polkit actions, one per kind of operation. resources/org.nova.policy declares
// each of these; a test keeps the two lists identical.
export const POLKIT_ACTIONS = {
  hostInspect: 'org.nova.host.inspect',
  vmManage: 'org.nova.vm.manage',
  networkManage: 'org.nova.network.manage',
  capsuleManage: 'org.nova.capsule.manage',
  devicePassthrough: 'org.nova.device.passthrough',
} as const;

export type PolkitAction = (typeof POLKIT_ACTIONS)[keyof typeof POLKIT_ACTIONS];
export const ALL_POLKIT_ACTIONS: readonly PolkitAction[] = Object.values(POLKIT_ACTIONS);
