// The one PRNG the tests and the mock server share (jitter, voice, fuzzing).
export { mulberry32 } from '../../demo/server/prng';
