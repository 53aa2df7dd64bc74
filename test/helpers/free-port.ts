// Lives with the benchmarks (bench/ is compiled for `npm run bench`; test/ is not).
export { freePort } from '../../bench/lib/free-port.ts';
