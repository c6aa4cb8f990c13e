import { Alert, Badge, Col, Row, Typography } from 'antd';
import { memo, useCallback, useDeferredValue, useEffect, useRef, useState } from 'react';
import { api } from '../api/client';
import type { CustomerProfile, QueueView, User } from '../api/types';
import { useSession } from '../app/session';
import { ProblemAlert } from '../common/ProblemAlert';
import { useI18n } from '../i18n/i18n';
import { useSoftphone } from '../softphone/useSoftphone';
import { CallControls } from './CallControls';
import { ContactContext } from './ContactContext';
import { CustomerPanel } from './CustomerPanel';
import { MyStats } from './MyStats';
import { OfferPanel } from './OfferPanel';
import { StateControl } from './StateControl';
import { interactionOf, useAgentDesk } from './useAgentDesk';
import { bankLevelOf, type ContactVerification, levelAtLeast } from './verification';
import { WrapUpPanel } from './WrapUpPanel';

interface PerContact {
  interactionId: string | null;
  chosenCustomer: string | null | undefined;
  verification: ContactVerification;
  poppedProfile: CustomerProfile | null;
}

// An offer re-renders the desktop several times within a few tens of milliseconds (the offer
// event, the interaction read, the 360° read), on the screen pop's path. These parts do not change
// with a pop, so they skip those renders (the state select's list even forces a layout on each).
const StateControlPart = memo(StateControl);
const CallControlsPart = memo(CallControls);
const MyStatsPart = memo(MyStats);
const ContactContextPart = memo(ContactContext);

function freshContact(interactionId: string | null): PerContact {
  return {
    interactionId,
    chosenCustomer: undefined,
    verification: { level: 'none', verificationId: null },
    poppedProfile: null,
  };
}

/**
 * The agent's one screen: state, the offer ringing, the phone, the customer (360° view, banking
 * on their behalf, notes, cases), how they got here, wrap-up and the day's figures.
 */
export function AgentDesktop({ user }: { user: User }) {
  const { t, tOr } = useI18n();
  const session = useSession();
  const desk = useAgentDesk(user.id);
  const [password, setPassword] = useState(session.sipPassword);
  const { phone, snapshot } = useSoftphone(user.extension, password);
  const [queues, setQueues] = useState<QueueView[]>([]);
  const [accepting, setAccepting] = useState(false);
  const measured = useRef<string | null>(null);

  useEffect(() => {
    api
      .queues()
      .then((r) => setQueues(r.queues))
      .catch((e: unknown) => desk.setError(e));
  }, [desk.setError]);

  const state = desk.stats?.state;
  const interactionId = interactionOf(state) ?? desk.offer?.interactionId ?? null;
  const contact = desk.contact && desk.contact.interactionId === interactionId ? desk.contact : null;
  const data = contact?.interaction?.data;
  // The offer names the customer, so the pop need not wait for the interaction record (nor fail
  // without one, for a contact queued by id only); the record's customer, once read, comes first.
  const popped = contact?.interaction?.customerId ?? data?.customerId ?? contact?.offeredCustomerId ?? null;

  // What the agent did in this contact; a new contact starts afresh (reset while rendering, the
  // React way to reset state when a value changes).
  const [perContact, setPerContact] = useState<PerContact>(() => freshContact(interactionId));
  if (perContact.interactionId !== interactionId) setPerContact(freshContact(interactionId));
  const { verification, poppedProfile } = perContact;
  const update = (change: Partial<PerContact>) => setPerContact((c) => ({ ...c, ...change }));
  // undefined: follow the contact; null: the agent cleared it to search; a string: the agent's pick.
  const customerId = perContact.chosenCustomer === undefined ? popped : perContact.chosenCustomer;
  const queueName = (id: string | null | undefined) => {
    const queue = queues.find((q) => q.config.id === id);
    return queue ? (queue.config.name ?? queue.config.id) : (id ?? '—');
  };

  // The IVR may verify the caller later (the agent sent them to the PIN flow, ADR 015): take a
  // higher level once its verification id has been read (an event says the level first, without it).
  const ivrLevel = bankLevelOf(data?.verification);
  const ivrVerificationId = data?.verificationId ?? null;
  const ivrState = data?.verificationState;
  useEffect(() => {
    setPerContact((c) => {
      const mine = c.verification;
      let next = mine;
      if (levelAtLeast(mine.level, ivrLevel) && mine.level !== 'none') {
        // Mine is as high already; the same level with a newer id replaces it.
        if (mine.level === ivrLevel && ivrVerificationId && ivrVerificationId !== mine.verificationId) {
          next = { level: ivrLevel, verificationId: ivrVerificationId };
        }
      } else if (ivrVerificationId || ivrLevel === 'none' || mine.level === 'none') {
        next = { level: ivrLevel, verificationId: ivrVerificationId ?? mine.verificationId };
      }
      if (next === mine && mine.state === ivrState) return c;
      return { ...c, verification: { ...next, ...(ivrState ? { state: ivrState } : {}) } };
    });
  }, [ivrLevel, ivrVerificationId, ivrState]);

  const offer =
    state?.kind === 'reserved'
      ? (desk.offer ?? {
          interactionId: state.interactionId,
          queueId: contact?.interaction?.queueId ?? contact?.queueId ?? '',
          customerId: popped,
          waitedMs: 0,
          offerDeadline: state.offerDeadline,
          receivedAt: performance.now(),
        })
      : null;

  /**
   * Called once the 360° header (name and tier) of `profile` is laid out (Customer360View): the
   * end of the screen-pop measure, which starts as the offer event arrives (useAgentDesk).
   */
  const onRendered = useCallback(
    (profile: CustomerProfile) => {
      if (profile.id !== popped) return;
      setPerContact((c) => (c.poppedProfile?.id === profile.id ? c : { ...c, poppedProfile: profile }));
      if (!desk.offer || measured.current === desk.offer.interactionId) return;
      measured.current = desk.offer.interactionId;
      performance.mark('teller:pop-rendered');
      performance.measure('teller:screen-pop', 'teller:offer-received', 'teller:pop-rendered');
    },
    [desk.offer, popped],
  );

  const accept = async () => {
    if (!offer) return;
    setAccepting(true);
    await desk.act(() => api.accept(offer.interactionId));
    desk.clearOffer();
    setAccepting(false);
  };

  // A voice contact rings the phone with its interaction id (X-Teller-Interaction). Once the
  // agent holds that contact the phone picks up, whether the call rang before or after Accept.
  const answered = useRef(new Set<string>());
  const held = state?.kind === 'busy' ? state.interactionIds : [];
  const ringingForContact = snapshot.calls.find(
    (c) =>
      c.state === 'ringing' &&
      c.interactionId !== null &&
      held.includes(c.interactionId) &&
      !answered.current.has(c.id),
  );
  useEffect(() => {
    if (!ringingForContact || !phone) return;
    answered.current.add(ringingForContact.id);
    phone.answer(ringingForContact.id).catch((e: unknown) => desk.setError(e));
  }, [ringingForContact, phone, desk.setError]);

  const decline = async () => {
    if (!offer) return;
    await phone?.decline().catch((e: unknown) => desk.setError(e));
    await desk.act(() => api.decline(offer.interactionId));
    desk.clearOffer();
  };

  const busyWith = state?.kind === 'busy' ? interactionId : null;
  const { act } = desk;
  const endContact = useCallback(async () => {
    if (!busyWith) return;
    await act(() => api.release(busyWith));
  }, [busyWith, act]);
  const { rememberSipPassword } = session;
  const connectPhone = useCallback(
    (secret: string) => {
      rememberSipPassword(secret);
      setPassword(secret);
    },
    [rememberSipPassword],
  );

  // How the contact got here is not on the screen pop's path: it renders after the customer's header.
  const shownContact = useDeferredValue(contact);

  const customerLabel =
    poppedProfile && poppedProfile.id === popped
      ? `${poppedProfile.nameZh} ${poppedProfile.nameLatin} · ${tOr(`tier.${poppedProfile.tier}`, poppedProfile.tier)}`
      : (data?.callerNumber ?? null);

  return (
    <div className="agent-desktop">
      <section className="desk-bar" aria-label={t('agent.bar')}>
        {desk.notAnAgent ? (
          <Alert type="info" showIcon title={t('agent.notAnAgent')} />
        ) : (
          <StateControlPart
            stats={desk.stats}
            stateSince={desk.stateSince}
            clockOffset={desk.clockOffset}
            act={desk.act}
          />
        )}
        <span className="stream-status">
          <Badge status={desk.streamStatus === 'open' ? 'success' : 'warning'} />
          <Typography.Text type="secondary">{t(`stream.${desk.streamStatus}`)}</Typography.Text>
        </span>
      </section>
      {desk.error !== null && (
        <ProblemAlert
          error={desk.error}
          title={t('agent.actionFailed')}
          onClose={() => desk.setError(null)}
        />
      )}
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={9} className="desk-left">
          {offer && (
            <OfferPanel
              offer={offer}
              queueName={queueName(offer.queueId || contact?.interaction?.queueId)}
              customerLabel={customerLabel}
              clockOffset={desk.clockOffset}
              busy={accepting}
              onAccept={() => void accept()}
              onDecline={() => void decline()}
            />
          )}
          <CallControlsPart
            phone={phone}
            snapshot={snapshot}
            interactionId={busyWith}
            queues={queues}
            extension={user.extension}
            onConnectPhone={connectPhone}
            onEndContact={endContact}
          />
          {shownContact && (
            <ContactContextPart
              contact={shownContact}
              queueName={
                (shownContact.interaction?.queueId ?? shownContact.queueId)
                  ? queueName(shownContact.interaction?.queueId ?? shownContact.queueId)
                  : null
              }
              verificationLevel={verification.level}
            />
          )}
          {state?.kind === 'wrap-up' && (
            <WrapUpPanel
              key={state.interactionId}
              interactionId={state.interactionId}
              deadline={state.deadline}
              clockOffset={desk.clockOffset}
              customerId={customerId}
              channel={contact?.interaction?.channel ?? 'voice'}
              onDone={() => {
                desk.clearContact();
                void desk.refresh();
              }}
            />
          )}
          <MyStatsPart stats={desk.stats} />
        </Col>
        <Col xs={24} xl={15}>
          <CustomerPanel
            customerId={customerId}
            interactionId={interactionId}
            verification={verification}
            callerNumber={data?.callerNumber ?? null}
            onSelect={(chosenCustomer) => update({ chosenCustomer })}
            onVerified={(v) => update({ verification: v })}
            onRendered={onRendered}
          />
        </Col>
      </Row>
    </div>
  );
}
