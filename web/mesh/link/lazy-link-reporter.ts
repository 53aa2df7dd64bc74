import { lazyModule } from '../lazy-module.ts';
import type { IdentityFailure } from '../../../protocol/index.ts';
import type { RouteInfo } from '../routing/peer-route.ts';
import type { LinkReporter } from './link-reporter.ts';

type Options = Parameters<typeof import('./link-reporter.ts').createLinkReporter>[0];

/**
 * A LinkReporter (`link-report` frames for the server's topology view) whose code loads with the
 * first link change: a peer with no links has nothing to report, and a page's first load stays
 * small (docs/browser-library.md "Size"). What happens before it is there (links gone, identity
 * failures) is kept, bounded as the reporter bounds it, and handed over in order.
 */
export function createLazyLinkReporter(o: Options): LinkReporter {
  let real: LinkReporter | undefined;
  const gone: RouteInfo[] = [];
  const failures: IdentityFailure[] = [];
  let stopped = false;
  const load = lazyModule(() => import('./link-reporter.ts'));
  const start = () =>
    void load().then((m) => {
      if (stopped || real) return;
      real = m.createLinkReporter(o);
      for (const info of gone.splice(0)) real.closed(info);
      for (const f of failures.splice(0)) real.identityFailed(f);
      real.changed();
    }, () => undefined);
  return {
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
}
