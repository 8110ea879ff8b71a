/** A PostgreSQL WAL position ('16/B374D848') as one number, so positions compare with < and >. */
export function parseLsn(text: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!match) throw new Error(`not a WAL position: "${text}"`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export function compareLsn(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
