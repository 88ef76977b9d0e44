// Room for the broker's buffers between full garbage collections. V8 counts the Buffers a process
// allocates and keeps (read-through chunks, the tail cache, fetched batches) towards the old
// generation's limit, which it sets after each full collection at a small factor (1.1 to 4) of the
// live heap. outpost's JS heap is small (tens of MB) while the bytes it moves run to hundreds of
// MB/s, so left alone V8 collects every few MB of kept buffers: reading a mirror's history through
// the link at 300 MB/s, one full collection every 25 ms, a third of the event loop's busy time.
// While the heap is small, the growing factor is raised so that at least HEADROOM_BYTES lie between
// the live heap and the next collection (at most that much more memory); once the heap is large
// enough, V8 chooses again.
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';

const HEADROOM_BYTES = 64 << 20;

/** The heap growing percent that leaves HEADROOM_BYTES above `liveBytes`; 0 gives the choice back to V8. */
export function growingPercent(liveBytes: number): number {
  if (liveBytes >= HEADROOM_BYTES) return 0;
  return Math.ceil((HEADROOM_BYTES / Math.max(liveBytes, 1 << 20)) * 100);
}

/** Keeps the growing factor right for the live heap after each full collection. */
export function keepGcHeadroom(): () => void {
  let current = -1;
  const apply = () => {
    const percent = growingPercent(getHeapStatistics().used_heap_size);
    if (percent === current) return;
    current = percent;
    setFlagsFromString(`--heap-growing-percent=${percent}`);
  };
  apply();
  const observer = new PerformanceObserver((list) => {
    if (list.getEntries().some((e) => (e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) apply();
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}
