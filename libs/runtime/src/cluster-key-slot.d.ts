/** cluster-key-slot (the CRC16 slot function ioredis itself uses) ships no types. */
declare module 'cluster-key-slot' {
  /** The Redis Cluster slot (0–16383) of a key; `{tag}` hash tags honoured. */
  function calculateSlot(key: string | Buffer): number;
  export = calculateSlot;
}
