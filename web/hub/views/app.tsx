import { phase } from '../session/session-state.ts';
import { Dashboard } from './dashboard.tsx';
import { FailedScreen, InsecureScreen, SignedOutScreen, SigningOutScreen, StartingScreen, WaitingScreen } from './join-screens.tsx';
import { RefusedScreen } from './refused-screen.tsx';

/** Picks the screen for the current sign-in phase. */
export function App() {
  const p = phase.value;
  switch (p.kind) {
    case 'starting': return <StartingScreen />;
    case 'insecure': return <InsecureScreen missing={p.missing} />;
    case 'signed-out': return <SignedOutScreen notice={p.notice} guest={p.guest} />;
    case 'refused': return <RefusedScreen reason={p.reason} credential={p.credential} notice={p.notice} />;
    case 'signing-out': return <SigningOutScreen />;
    case 'waiting-approval': return <WaitingScreen name={p.name} peerId={p.peerId} />;
    case 'failed': return <FailedScreen message={p.message} />;
    case 'ready': return <Dashboard session={p.session} />;
  }
}
