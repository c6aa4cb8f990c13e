import { Button, Form, Input, List, Typography } from 'antd';
import { useState } from 'react';
import { api } from '../api/client';
import type { Note } from '../api/types';
import { formatTime } from '../common/format';
import { ProblemAlert } from '../common/ProblemAlert';
import { useI18n } from '../i18n/i18n';

export interface NotesPanelProps {
  customerId: string;
  notes: Note[];
  interactionId: string | null;
  onChanged(): void;
}

/** The customer's notes, newest first, and a note for this contact. */
export function NotesPanel({ customerId, notes, interactionId, onChanged }: NotesPanelProps) {
  const { t, lang } = useI18n();
  const [form] = Form.useForm<{ body: string }>();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const add = async ({ body }: { body: string }) => {
    setBusy(true);
    setError(null);
    try {
      await api.addNote(customerId, body.trim(), interactionId ?? undefined);
      form.resetFields();
      onChanged();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Form form={form} layout="vertical" onFinish={add}>
        <Form.Item
          name="body"
          label={t('notes.new')}
          rules={[{ required: true, whitespace: true, message: t('notes.required') }]}
        >
          <Input.TextArea rows={3} maxLength={2000} showCount />
        </Form.Item>
        <Button htmlType="submit" loading={busy}>
          {t('notes.add')}
        </Button>
      </Form>
      {error !== null && <ProblemAlert error={error} title={t('notes.failed')} />}
      <List<Note>
        size="small"
        dataSource={notes}
        locale={{ emptyText: t('notes.none') }}
        renderItem={(note) => (
          <List.Item>
            <List.Item.Meta
              title={
                <Typography.Text type="secondary">
                  {formatTime(note.at, lang)} · {note.author}
                </Typography.Text>
              }
              description={note.body}
            />
          </List.Item>
        )}
      />
    </>
  );
}
