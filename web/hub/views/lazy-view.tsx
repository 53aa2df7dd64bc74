import type { FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';

// Loaded components, kept for the page's life: switching back to a view renders at once.
const loaded = new Map<string, FunctionComponent<never>>();

/**
 * A view loaded on first use, outside the initial bundle (less to parse on a phone's first
 * visit). A redeploy removes old chunks: then it says so and offers a retry instead of spinning.
 */
export function LazyView<P extends object>(props: { what: string; load: () => Promise<FunctionComponent<P>>; props: P }) {
  const [View, setView] = useState<FunctionComponent<P> | undefined>(() => loaded.get(props.what) as FunctionComponent<P> | undefined);
  const [failed, setFailed] = useState(false);
  const load = () => {
    setFailed(false);
    props.load().then((c) => (loaded.set(props.what, c as FunctionComponent<never>), setView(() => c)), () => setFailed(true));
  };
  useEffect(() => void (View ?? load()), [props.what]);
  if (View) return <View {...props.props} />;
  if (failed) return <p class="notice" role="alert">Could not load the {props.what}: the server was probably updated. <button class="ghost small" onClick={load}>Retry</button> or reload the page.</p>;
  return <p class="row"><span class="spinner" /> Loading the {props.what}…</p>;
}
