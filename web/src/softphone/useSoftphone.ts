import { useEffect, useRef, useState } from 'react';
import { type PhoneSnapshot, Softphone } from './Softphone';

const idle: PhoneSnapshot = { status: 'disconnected', error: null, calls: [] };

/**
 * One softphone for as long as the desktop is open and the password is known; the remote audio
 * plays through a hidden <audio> element owned by the hook.
 */
export function useSoftphone(extension: string | null, password: string | undefined) {
  const [phone, setPhone] = useState<Softphone | null>(null);
  const [snapshot, setSnapshot] = useState<PhoneSnapshot>(idle);
  const audio = useRef<HTMLAudioElement | null>(null);

  useEffect(() => {
    if (!extension || !password) return;
    const element = document.createElement('audio');
    element.autoplay = true;
    element.setAttribute('aria-hidden', 'true');
    document.body.append(element);
    audio.current = element;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const softphone = new Softphone({
      server: `${scheme}://${location.host}/sip`,
      domain: location.hostname,
      extension,
      password,
      audio: element,
    });
    const unsubscribe = softphone.subscribe(setSnapshot);
    setPhone(softphone);
    softphone.start().catch((error: unknown) => console.error('softphone: start failed', error));
    return () => {
      unsubscribe();
      setPhone(null);
      setSnapshot(idle);
      softphone
        .stop()
        .catch((error: unknown) => console.error('softphone: stop failed', error))
        .finally(() => element.remove());
    };
  }, [extension, password]);

  return { phone, snapshot };
}
