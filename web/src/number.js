// Phone number input: what the dial pad and the number field accept.

/** E.164: "+" then 2..15 digits (spaces, dashes, dots and parentheses are dropped); null otherwise. */
export function normalizeNumber(input) {
	const s = String(input || '').replace(/[\s().-]/g, '');
	return /^\+[1-9][0-9]{1,14}$/.test(s) ? s : null;
}
