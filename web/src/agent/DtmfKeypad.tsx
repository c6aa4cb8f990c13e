import { Button } from 'antd';
import { useI18n } from '../i18n/i18n';

const keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'] as const;

/** Twelve keys; each sends one DTMF tone on the call. Typing the digits works as well. */
export function DtmfKeypad({ onKey, disabled }: { onKey(key: string): void; disabled: boolean }) {
  const { t } = useI18n();
  return (
    <fieldset className="dtmf-keypad" aria-label={t('call.keypad')}>
      <legend className="visually-hidden">{t('call.keypad')}</legend>
      {keys.map((key) => (
        <Button key={key} disabled={disabled} onClick={() => onKey(key)} aria-label={t('call.key', { key })}>
          {key}
        </Button>
      ))}
    </fieldset>
  );
}
