import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

// Only the page's first mount waits: that render competes with the page load; a later one (the
// person switching back to a view) shows at once, as it did before.
let waited = false;

/**
 * Renders its children one task after it first mounts in this page (later updates and mounts
 * render at once). The mesh view's first render with peers was one long task (graph, link list
 * and peer list together: 90+ ms at 4× CPU throttle, bench hub-phone); a part placed below the
 * rest of the page waits here, so it appears without moving what is already shown.
 */
export function NextTask(props: { children: ComponentChildren }) {
  const [ready, setReady] = useState(waited);
  useEffect(() => {
    if (ready) return undefined;
    const timer = setTimeout(() => { waited = true; setReady(true); }, 0);
    return () => clearTimeout(timer);
  }, []);
  return ready ? <>{props.children}</> : null;
}
