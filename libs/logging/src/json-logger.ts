import type { LoggerService, LogLevel } from '@nestjs/common';
import { redactText, redactValue } from './redact';

type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Level[] = ['debug', 'info', 'warn', 'error'];

/**
 * Nest logger writing one JSON object per line to stderr (`time`, `level`, `context`, `msg`, and any
 * structured fields), every message and field redacted. Stack traces are dropped: they can quote
 * values and are of no use to a log reader without the process.
 */
export class JsonLogger implements LoggerService {
  private readonly min: number;

  constructor(
    level: Level = 'info',
    private readonly service = 'care',
    private readonly write: (line: string) => void = (line) => void process.stderr.write(line),
  ) {
    this.min = ORDER.indexOf(level);
  }

  private emit(level: Level, message: unknown, params: unknown[]): void {
    if (ORDER.indexOf(level) < this.min) return;
    // Nest passes the context as the last string argument.
    const context = typeof params[params.length - 1] === 'string' ? (params.pop() as string) : undefined;
    if (level === 'error' && typeof params[params.length - 1] === 'string') params.pop(); // stack trace
    const rest = params.filter((p) => p !== undefined);
    const fields = rest.length > 0 ? { fields: redactValue(rest) } : {};
    const msg = typeof message === 'string' ? redactText(message) : redactValue(message);
    this.write(`${JSON.stringify({ time: new Date().toISOString(), level, service: this.service, ...(context ? { context } : {}), msg, ...fields })}\n`);
  }

  log(message: unknown, ...params: unknown[]): void {
    this.emit('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.emit('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.emit('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.emit('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.emit('debug', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.emit('error', message, params);
  }
  setLogLevels(_levels: LogLevel[]): void {
    // Levels come from LOG_LEVEL at construction.
  }
}
