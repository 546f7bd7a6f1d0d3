// Nova's vocabulary: every small syntax a person types (sizes, names, volumes, ports,
// forwards, peers, egress rules, subnets, ranges, restart policies, image references),
// each with one parser that the CLI, the NovaFile, the create dialogs and the contract's
// schemas (and so the helper) share. No Node APIs: the sandboxed renderer loads it too.
export * from './parsed.js';
export * from './syntax-schema.js';
export * from './size.js';
export * from './duration.js';
export * from './resource-name.js';
export * from './port.js';
export * from './port-mapping.js';
export * from './ip-address.js';
export * from './forward.js';
export * from './egress-rule.js';
export * from './wireguard-key.js';
export * from './dns-name.js';
export * from './peer.js';
export * from './subnet.js';
export * from './dhcp-range.js';
export * from './restart-policy.js';
export * from './posix-path.js';
export * from './volume.js';
export * from './image-reference.js';
export * from './env-name.js';
export * from './capsule-user.js';
export * from './login-name.js';
export * from './ssh-public-key.js';
export * from './pci-address.js';
export * from './mac-address.js';
export * from './vlan-id.js';
export * from './interface-name.js';
export * from './vm-network-choice.js';
export * from './snapshot-schedule.js';
export * from './host-address.js';
export * from './usb-selector.js';
export * from './gpu-node.js';
