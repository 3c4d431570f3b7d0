import { dictionary } from '@zxcvbn-ts/language-common';

/**
 * Passwords everybody tries first: the ~49,000 most common passwords of zxcvbn-ts's maintained
 * list (lower case), as NIST SP 800-63B §5.1.1.2 asks for a check against commonly used values.
 */
const COMMON = new Set([...dictionary['passwords-common'], 'changeme123', 'correcthorsebatterystaple']);

const MIN_PASSWORD_LENGTH = 10;
const MAX_PASSWORD_LENGTH = 256;

/**
 * Why a password is too weak, or undefined when it is acceptable. Length over composition rules
 * (NIST SP 800-63B): at least 10 characters, not a common one, not the username, not one repeated
 * character or a short pattern.
 */
export function passwordProblem(password: string, username?: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH)
    return `password must be at least ${MIN_PASSWORD_LENGTH} characters long`;
  if (password.length > MAX_PASSWORD_LENGTH)
    return `password must be at most ${MAX_PASSWORD_LENGTH} characters long`;
  const lower = password.toLowerCase();
  if (COMMON.has(lower)) return 'password is too common (it is on a list of commonly used passwords)';
  if (username && lower.includes(username.toLowerCase())) return 'password must not contain the username';
  if (new Set(password).size < 5) return 'password must use at least 5 different characters';
  return undefined;
}
