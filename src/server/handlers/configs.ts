// PLACEHOLDER written by the lead so the broker starts while the config handlers are written:
// replace this whole file with DescribeConfigs / AlterConfigs / IncrementalAlterConfigs.
import type { HandlerFactory } from './handler.js';

export const configHandlers: HandlerFactory[] = [];
