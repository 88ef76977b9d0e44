// Java's String.hashCode (UTF-16 code units, 32-bit wrap-around), which Kafka's choices depend on:
// which __consumer_offsets partition holds a group, and the order a HashMap lists config names in.

export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}
