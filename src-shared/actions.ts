// polkit actions, one `view` and one `manage` per kind of resource. resources/org.nova.policy
// declares each of these and resources/50-nova.rules lets the `nova` group use them; a
// test keeps the three lists identical. Views (lists, inspection, metrics, logs, events)
// are allowed to the active local session; changes need an administrator, or membership
// in the nova group; device passthrough needs an administrator every time.
export const POLKIT_ACTIONS = {
  hostInspect: 'org.nova.host.inspect',
  vmView: 'org.nova.vm.view',
  vmManage: 'org.nova.vm.manage',
  capsuleView: 'org.nova.capsule.view',
  capsuleManage: 'org.nova.capsule.manage',
  networkView: 'org.nova.network.view',
  networkManage: 'org.nova.network.manage',
  devicePassthrough: 'org.nova.device.passthrough',
} as const;

export type PolkitAction = (typeof POLKIT_ACTIONS)[keyof typeof POLKIT_ACTIONS];
export const ALL_POLKIT_ACTIONS: readonly PolkitAction[] = Object.values(POLKIT_ACTIONS);

/** The group whose members may use every action but device passthrough without a prompt. */
export const NOVA_GROUP = 'nova';

/** Actions that only read: polkit's default lets the active local session use them. */
export const VIEW_ACTIONS: readonly PolkitAction[] = [
  POLKIT_ACTIONS.hostInspect,
  POLKIT_ACTIONS.vmView,
  POLKIT_ACTIONS.capsuleView,
  POLKIT_ACTIONS.networkView,
];

/** Actions the nova group's rule never grants: each use is an administrator's decision. */
export const ADMIN_ONLY_ACTIONS: readonly PolkitAction[] = [POLKIT_ACTIONS.devicePassthrough];

const WHAT: Record<PolkitAction, string> = {
  'org.nova.host.inspect': 'Looking at this host with Nova',
  'org.nova.vm.view': 'Seeing VMs',
  'org.nova.vm.manage': 'Changing VMs',
  'org.nova.capsule.view': 'Seeing capsules',
  'org.nova.capsule.manage': 'Changing capsules',
  'org.nova.network.view': 'Seeing networks',
  'org.nova.network.manage': 'Changing networks',
  'org.nova.device.passthrough': 'Giving a host device to a VM',
};

/**
 * What a refused caller can do about it, in one sentence: shown by the CLI and the UI
 * alike, since it travels in the error's message.
 */
export function authorizationHint(action: PolkitAction): string {
  if (ADMIN_ONLY_ACTIONS.includes(action)) return `${WHAT[action]} needs an administrator's password each time.`;
  if (VIEW_ACTIONS.includes(action)) {
    return `${WHAT[action]} is allowed to the active local desktop session; from elsewhere (SSH, a service) it needs membership in the ${NOVA_GROUP} group.`;
  }
  return `${WHAT[action]} needs an administrator's password or membership in the ${NOVA_GROUP} group.`;
}
