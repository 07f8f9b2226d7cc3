/**
 * Adds `item` to `top`, a list sorted best first and at most `depth` long, unless the list is full
 * and the item does not rank before its last entry. An item that ties with entries goes after them,
 * so ties keep the order in which items were offered.
 */
export function keepTop<T>(top: T[], item: T, depth: number, ranksBefore: (a: T, b: T) => boolean): void {
  if (depth <= 0) return;
  if (top.length === depth && !ranksBefore(item, top[depth - 1]!)) return;
  let i = top.length === depth ? depth - 1 : top.push(item) - 1;
  while (i > 0 && ranksBefore(item, top[i - 1]!)) {
    top[i] = top[i - 1]!;
    i--;
  }
  top[i] = item;
}
