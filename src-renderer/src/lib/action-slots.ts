// Row actions keep their places whatever the state: each row shows the same slots in the
// same order, each slot holding the one action of its group the state allows, or a blank
// of the same size. So the pointer that pressed Stop finds Start where Stop was, and a
// column of rows lines up.

/** The action of each slot's group that `available` holds, in slot order; null where none. */
export function actionSlots<A extends string>(slots: readonly (readonly A[])[], available: readonly A[]): Array<{ slot: A; action: A | null }> {
  return slots.map((group) => ({ slot: group[0]!, action: group.find((a) => available.includes(a)) ?? null }));
}
