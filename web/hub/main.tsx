import { render } from 'preact';
import { App } from './views/app.tsx';
import { boot } from './session/session-state.ts';
import './hub.css';

render(<App />, document.getElementById('app')!);
void boot();

// The service worker caches the app shell; registered after first paint so it never delays it.
if ('serviceWorker' in navigator && isSecureContext) {
  addEventListener('load', () => void navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => undefined));
}
