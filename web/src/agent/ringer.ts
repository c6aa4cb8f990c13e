/**
 * The ringing tone of an offer, made with Web Audio (no sound file to fetch): 450 Hz, one
 * second on, four off, the ringing cadence of Chinese telephone networks.
 * Browsers only let audio start after the user has interacted with the page; `unlock()` is
 * called from the first click (sign-in, state change), so a later offer can ring.
 */
let context: AudioContext | undefined;

export function unlockAudio(): void {
  context ??= new AudioContext();
  if (context.state === 'suspended') void context.resume();
}

export class Ringer {
  private timer: ReturnType<typeof setInterval> | undefined;

  start(): void {
    if (this.timer) return;
    const ring = () => {
      if (context?.state !== 'running') return;
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.frequency.value = 450;
      gain.gain.setValueAtTime(0.0001, context.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.2, context.currentTime + 0.02);
      gain.gain.setValueAtTime(0.2, context.currentTime + 0.98);
      gain.gain.exponentialRampToValueAtTime(0.0001, context.currentTime + 1);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start();
      oscillator.stop(context.currentTime + 1.01);
    };
    ring();
    this.timer = setInterval(ring, 5000);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
