// The redis-server launcher lives with the benchmarks (bench/ is compiled for `npm run bench`;
// test/ is not); tests import it from here.
export { startRedis, type RedisOptions, type RedisProcess } from '../../bench/lib/redis-server.ts';
