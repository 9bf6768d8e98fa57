/**
 * The echo worklet bundle's entry (dist/echo-processor.js): registers the processor and
 * nothing else, so the class can be imported by tests without side effects.
 */
import { ECHO_PROCESSOR_NAME } from './messages.js';
import { EchoProcessor } from './echo-processor.js';

registerProcessor(ECHO_PROCESSOR_NAME, EchoProcessor);
