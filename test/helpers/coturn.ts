// The coturn launcher lives with the benchmarks (bench/ is compiled for `npm run bench`; test/ is
// not); tests import it from here.
export { startCoturn, type Coturn, type CoturnOptions } from '../../bench/lib/coturn.ts';
