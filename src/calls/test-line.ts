import type { AnsweredCall, AppCallHandlers, CallApplication } from './application';

/**
 * The line-test number: answers, plays a prompt and plays every key the caller presses back as
 * its DTMF tone, so a phone (or SIPp) can check audio both ways and DTMF in one call. The call
 * is recorded like every application call.
 */
export class TestLine implements CallApplication {
  readonly name = 'app:test';

  constructor(
    private readonly welcomePrompt: string,
    private readonly report: (error: unknown, context: string) => void,
  ) {}

  answered(call: AnsweredCall): AppCallHandlers {
    call.play([this.welcomePrompt]).catch((error: unknown) => this.failed(call, error, 'the prompt'));
    return {
      digit: (key) => {
        call.playTones(key).catch((error: unknown) => this.failed(call, error, 'a key tone'));
      },
    };
  }

  private failed(call: AnsweredCall, error: unknown, what: string): void {
    // A caller who hung up while it started is not a failure.
    if (call.live) this.report(error, `test line: ${what} on call ${call.id}`);
  }
}
