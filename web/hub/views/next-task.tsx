import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/**
 * Renders its children one task after it first mounts (later updates render at once). The mesh
 * view's first render with peers was one long task (graph, link list and peer list together:
 * 90+ ms at 4× CPU throttle, bench hub-phone); a part placed below the rest of the page waits
 * here, so it appears without moving what is already shown.
 */
export function NextTask(props: { children: ComponentChildren }) {
  const [ready, setReady] = useState(false);
  useEffect(() => {
    if (ready) return undefined;
    const timer = setTimeout(() => setReady(true), 0);
    return () => clearTimeout(timer);
  }, []);
  return ready ? <>{props.children}</> : null;
}
