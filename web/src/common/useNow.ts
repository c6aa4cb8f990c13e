import { useEffect, useState } from 'react';

/** The current time, re-rendering every `everyMs` (for timers and countdowns). */
export function useNow(everyMs = 1000, offsetMs = 0): number {
  const [now, setNow] = useState(() => Date.now() + offsetMs);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now() + offsetMs), everyMs);
    return () => clearInterval(timer);
  }, [everyMs, offsetMs]);
  return now;
}
