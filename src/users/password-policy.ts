/** Passwords everybody tries first; a real deployment would check a breach corpus (NIST SP 800-63B §5.1.1.2). */
const COMMON = new Set([
  'password',
  'password1',
  'password123',
  'passw0rd',
  '123456789',
  '1234567890',
  'qwertyuiop',
  'iloveyou',
  'letmein123',
  'welcome123',
  'administrator',
  'changeme123',
  'correcthorsebatterystaple',
]);

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
  if (COMMON.has(lower)) return 'password is too common; choose a less guessable one';
  if (username && lower.includes(username.toLowerCase())) return 'password must not contain the username';
  if (new Set(password).size < 5) return 'password must use at least 5 different characters';
  return undefined;
}
