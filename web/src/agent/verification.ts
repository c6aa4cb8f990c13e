import { type HandOverData, type VerificationLevel, verificationLevels } from '../api/types';

/**
 * The IVR reports how it identified the caller in its own words (`none`, `caller`, `pin`:
 * src/ivr/ports.ts); the bank's levels are `none`, `caller-number`, `pin`, `pin-otp`.
 */
export function bankLevelOf(ivrLevel: string | undefined): VerificationLevel {
  if (ivrLevel === 'caller') return 'caller-number';
  if ((verificationLevels as readonly string[]).includes(ivrLevel ?? ''))
    return ivrLevel as VerificationLevel;
  return 'none';
}

export function levelAtLeast(have: VerificationLevel, need: VerificationLevel): boolean {
  return verificationLevels.indexOf(have) >= verificationLevels.indexOf(need);
}

/** What the customer is verified by in this contact, and the bank verification that proves it. */
export interface ContactVerification {
  level: VerificationLevel;
  verificationId: string | null;
  /** Where the IVR verification the agent asked for stands, if one was asked for. */
  state?: HandOverData['verificationState'];
}
