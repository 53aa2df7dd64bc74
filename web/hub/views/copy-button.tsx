import { useState } from 'preact/hooks';

/** Copies `text` to the clipboard and says so for two seconds (the clipboard API needs a secure origin, which the hub has). */
export function CopyButton(props: { text: string; label?: string; what: string }) {
  const [done, setDone] = useState<'copied' | 'failed' | undefined>();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
      setDone('copied');
    } catch {
      setDone('failed');
    }
    setTimeout(() => setDone(undefined), 2000);
  };
  return (
    <button type="button" class="ghost small" onClick={() => void copy()} aria-label={`Copy ${props.what}`} data-copy={props.what}>
      {done === 'copied' ? 'Copied' : done === 'failed' ? 'Select and copy by hand' : props.label ?? 'Copy'}
    </button>
  );
}

/** The system share sheet where there is one (phones); nothing elsewhere. */
export function ShareButton(props: { url: string; title: string }) {
  if (typeof navigator.share !== 'function') return null;
  return (
    <button type="button" class="ghost small" onClick={() => void navigator.share({ title: props.title, url: props.url }).catch(() => undefined)}>Share</button>
  );
}

/** A shell command in one unbroken, scrollable line with a copy button. */
export function CommandLine(props: { command: string; what: string }) {
  return (
    <div class="command">
      <code class="mono" tabIndex={0} data-testid="command">{props.command}</code>
      <CopyButton text={props.command} what={props.what} />
    </div>
  );
}
