import { lazyModule } from '../lazy-module.ts';
import type { IdentityFailure } from '../../../protocol/index.ts';
import type { RouteInfo } from '../routing/peer-route.ts';
import type { SignalingClient } from '../signaling/signaling-types.ts';
import type { LinkReporter } from './link-reporter.ts';

type Options = Omit<import('./link-reporter.ts').MeshReporterOptions, 'watch' | 'send'> & { signaling: Pick<SignalingClient, 'on' | 'send'> };

/**
 * A LinkReporter (`link-report` frames for the server's topology view) whose code loads with the
 * first link change: a peer with no links has nothing to report, and a page's first load stays
 * small (docs/browser-library.md "Size"). What happens before it is there (links gone, identity
 * failures) is kept, bounded as the reporter bounds it, and handed over in order. It also keeps
 * what the server said about watching the topology (`watch` on welcome and presence), which
 * arrives before any link does.
 */
export function createLazyLinkReporter(options: Options): LinkReporter {
  let real: LinkReporter | undefined;
  // Until when the server wants every link change reported; undefined until a server says (an older one never does): always.
  let watchUntil: number | undefined;
  const o = { ...options, watch: () => watchUntil, send: options.signaling.send };
  const gone: RouteInfo[] = [];
  const failures: IdentityFailure[] = [];
  let stopped = false;
  const load = lazyModule(() => import('./link-reporter.ts'));
  const start = () =>
    void load().then((m) => {
      if (stopped || real) return;
      real = m.createMeshLinkReporter(o);
      for (const info of gone.splice(0)) real.closed(info);
      for (const f of failures.splice(0)) real.identityFailed(f);
      real.changed();
    }, () => undefined);
  const reporter: LinkReporter = {
    changed: () => (real ? real.changed() : start()),
    closed(info) {
      if (real) return real.closed(info);
      if (gone.push(info) > 512) gone.shift();
      start();
    },
    identityFailed(failure) {
      if (real) return real.identityFailed(failure);
      if (failures.length < 64) failures.push(failure);
      start();
    },
    stop() {
      stopped = true;
      real?.stop();
    },
  };
  options.signaling.on('watch', (ms) => {
    watchUntil = o.clock.now() + ms;
    // A watch just began: report now (a peer told 0 at its welcome loads no reporter for it).
    if (ms) reporter.changed();
  });
  return reporter;
}
