/**
 * The not-ready reason codes the desktop offers. The ACD takes any reason string (it reports it
 * to supervisors as given); these codes are the contact center's catalogue, each with a label in
 * both languages (messages.ts, `reason.*`). Wrap-up codes are the ACD's own list
 * (GET /api/v1/acd/wrap-up-codes, read by WrapUpPanel), since the ACD checks the code it is given.
 */
export const notReadyReasons = ['break', 'lunch', 'training', 'meeting', 'coaching', 'back-office'] as const;
export type NotReadyReason = (typeof notReadyReasons)[number];
