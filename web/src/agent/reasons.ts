/**
 * The not-ready reason codes and wrap-up codes the desktop offers. The ACD takes any reason
 * string (it reports it to supervisors as given); these codes are the contact center's catalogue,
 * each with a label in both languages (messages.ts, `reason.*` and `wrapup.*`).
 */
export const notReadyReasons = ['break', 'lunch', 'training', 'meeting', 'coaching', 'back-office'] as const;
export type NotReadyReason = (typeof notReadyReasons)[number];

export const wrapUpCodes = [
  'resolved',
  'balance-inquiry',
  'transfer-done',
  'card-issue',
  'complaint',
  'sale',
  'follow-up',
  'wrong-number',
] as const;
export type WrapUpCode = (typeof wrapUpCodes)[number];
