import { Logger } from '@nestjs/common';

// Unit specs construct services directly; their log lines are noise in test output.
Logger.overrideLogger(false);
