/**
 * Typed readers for environment variables. Each reader takes the environment as a
 * parameter (tests pass a plain object; handlers pass process.env) and fails with a
 * ConfigurationError that names the variable and what it expected.
 */
import { ConfigurationError } from '../errors';

export type Env = Readonly<Record<string, string | undefined>>;

function raw(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export function readString(env: Env, name: string, fallback?: string): string {
  const value = raw(env, name) ?? fallback;
  if (value === undefined) throw new ConfigurationError(`${name} is required but not set`);
  return value;
}

export function readOptionalString(env: Env, name: string): string | undefined {
  return raw(env, name);
}

export function readInt(env: Env, name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
  const text = raw(env, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value)) throw new ConfigurationError(`${name} must be an integer, got "${text}"`);
  if (range.min !== undefined && value < range.min) throw new ConfigurationError(`${name} must be >= ${range.min}, got ${value}`);
  if (range.max !== undefined && value > range.max) throw new ConfigurationError(`${name} must be <= ${range.max}, got ${value}`);
  return value;
}

export function readNumber(env: Env, name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
  const text = raw(env, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new ConfigurationError(`${name} must be a number, got "${text}"`);
  if (range.min !== undefined && value < range.min) throw new ConfigurationError(`${name} must be >= ${range.min}, got ${value}`);
  if (range.max !== undefined && value > range.max) throw new ConfigurationError(`${name} must be <= ${range.max}, got ${value}`);
  return value;
}

export function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const text = raw(env, name)?.toLowerCase();
  if (text === undefined) return fallback;
  if (['true', '1', 'yes'].includes(text)) return true;
  if (['false', '0', 'no'].includes(text)) return false;
  throw new ConfigurationError(`${name} must be true or false, got "${text}"`);
}

export function readEnum<const T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const text = raw(env, name);
  if (text === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(text)) {
    throw new ConfigurationError(`${name} must be one of ${allowed.join(', ')}, got "${text}"`);
  }
  return text as T;
}

/** A comma-separated list; empty entries are dropped. */
export function readList(env: Env, name: string, fallback: readonly string[]): string[] {
  const text = raw(env, name);
  if (text === undefined) return [...fallback];
  return text.split(',').map((part) => part.trim()).filter((part) => part.length > 0);
}
