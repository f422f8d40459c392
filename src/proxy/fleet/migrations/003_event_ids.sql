-- Each proxy run takes a block of event ids (its SSE `id:` numbers) from here, so that a stream
-- resumed on another proxy of the fleet with the first one's Last-Event-ID is told to reset
-- instead of being replayed from an id that means another event there.
CREATE SEQUENCE astrix_event_blocks START 1;
