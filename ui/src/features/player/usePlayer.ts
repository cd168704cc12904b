// The call's player state, lifted out of the <audio> element so the recording panel (aside) and
// the transcript (main column) share one source of truth. Seeks asked for before the media's
// metadata is known (e.g. a search hit, or a turn clicked before play on a remote URL that is
// never fetched until play) are kept and applied once the element can seek.

import { useCallback, useMemo, useRef, useState, type RefObject, type SyntheticEvent, useLayoutEffect } from "react";
import { stepSpeed } from "./time";

export interface PlayerFailure {
  /** MediaError code (1 aborted, 2 network, 3 decode, 4 source not supported), null for other failures */
  code: number | null;
  message: string;
}

type MediaHandler = (e: SyntheticEvent<HTMLAudioElement>) => void;

export interface AudioBindings {
  ref: RefObject<HTMLAudioElement | null>;
  onLoadedMetadata: MediaHandler;
  onDurationChange: MediaHandler;
  onTimeUpdate: MediaHandler;
  onSeeked: MediaHandler;
  onPlay: MediaHandler;
  onPause: MediaHandler;
  onEnded: MediaHandler;
  onError: MediaHandler;
  onEmptied: MediaHandler;
  onRateChange: MediaHandler;
  onVolumeChange: MediaHandler;
}

export interface Player {
  audioRef: RefObject<HTMLAudioElement | null>;
  /** spread onto the <audio> element */
  bind: AudioBindings;
  currentTime: number;
  /** the media's duration once known */
  duration: number | null;
  playing: boolean;
  rate: number;
  volume: number;
  failure: PlayerFailure | null;
  seek: (t: number) => void;
  toggle: () => void;
  play: () => void;
  pause: () => void;
  skip: (delta: number) => void;
  setRate: (rate: number) => void;
  slower: () => void;
  faster: () => void;
  setVolume: (v: number) => void;
}

function finite(n: number): number | null {
  return Number.isFinite(n) && n > 0 ? n : null;
}

export function usePlayer(): Player {
  const audioRef = useRef<HTMLAudioElement | null>(null);
  const pending = useRef<number | null>(null);
  const lastTime = useRef(0);
  const rateRef = useRef(1);
  const [currentTime, setCurrentTime] = useState(0);
  const [duration, setDuration] = useState<number | null>(null);
  const [playing, setPlaying] = useState(false);
  const [rate, setRateState] = useState(1);
  const [volume, setVolumeState] = useState(1);
  const [failure, setFailure] = useState<PlayerFailure | null>(null);

  // Leaving the call lets go of the media: an <audio> that is only unmounted keeps its decoder
  // and buffers until it is collected, which grew the web process call after call.
  useLayoutEffect(
    () => () => {
      const el = audioRef.current;
      if (!el) return;
      el.pause();
      el.removeAttribute("src");
      el.load();
    },
    [],
  );

  const seek = useCallback((t: number) => {
    const el = audioRef.current;
    const d = el ? finite(el.duration) : null;
    const to = Math.max(0, d !== null ? Math.min(t, d) : t);
    lastTime.current = to;
    setCurrentTime(to);
    if (el && el.readyState >= 1) {
      pending.current = null;
      el.currentTime = to;
    } else {
      pending.current = to;
    }
  }, []);

  const play = useCallback(() => {
    const el = audioRef.current;
    if (!el) return;
    if (el.error) {
      // After a failure, try the source again from where the user was.
      setFailure(null);
      if (pending.current === null) pending.current = lastTime.current;
      el.load();
    }
    el.play().catch((e: unknown) => {
      // A pause before playback started rejects with AbortError: not a failure. Media errors
      // arrive through the element's error event with their code.
      if (e instanceof DOMException && e.name === "AbortError") return;
      if (el.error) return;
      setFailure({ code: null, message: e instanceof Error ? e.message : String(e) });
    });
  }, []);

  const pause = useCallback(() => {
    audioRef.current?.pause();
  }, []);

  const toggle = useCallback(() => {
    const el = audioRef.current;
    if (!el) return;
    if (el.paused) play();
    else el.pause();
  }, [play]);

  const skip = useCallback(
    (delta: number) => {
      const el = audioRef.current;
      const from = pending.current ?? (el && el.readyState >= 1 ? el.currentTime : lastTime.current);
      seek(from + delta);
    },
    [seek],
  );

  const setRate = useCallback((r: number) => {
    rateRef.current = r;
    setRateState(r);
    const el = audioRef.current;
    if (el) {
      el.defaultPlaybackRate = r;
      el.playbackRate = r;
    }
  }, []);

  const slower = useCallback(() => setRate(stepSpeed(rateRef.current, -1)), [setRate]);
  const faster = useCallback(() => setRate(stepSpeed(rateRef.current, 1)), [setRate]);

  const setVolume = useCallback((v: number) => {
    const clamped = Math.min(1, Math.max(0, v));
    setVolumeState(clamped);
    const el = audioRef.current;
    if (el) el.volume = clamped;
  }, []);

  const bind = useMemo<AudioBindings>(() => {
    const syncTime: MediaHandler = (e) => {
      if (pending.current !== null) return;
      lastTime.current = e.currentTarget.currentTime;
      setCurrentTime(e.currentTarget.currentTime);
    };
    return {
      ref: audioRef,
      onLoadedMetadata: (e) => {
        const el = e.currentTarget;
        setDuration(finite(el.duration));
        el.playbackRate = rateRef.current;
        if (pending.current !== null) {
          const to = pending.current;
          pending.current = null;
          const d = finite(el.duration);
          el.currentTime = d !== null ? Math.min(to, d) : to;
        }
      },
      onDurationChange: (e) => setDuration(finite(e.currentTarget.duration)),
      onTimeUpdate: syncTime,
      onSeeked: syncTime,
      onPlay: () => {
        setPlaying(true);
        setFailure(null);
      },
      onPause: () => setPlaying(false),
      onEnded: () => setPlaying(false),
      onError: (e) => {
        const err = e.currentTarget.error;
        setPlaying(false);
        setFailure({ code: err?.code ?? null, message: err?.message ?? "" });
      },
      // A new source (e.g. the vault copy replacing the remote URL): carry on from the same place.
      onEmptied: () => {
        setFailure(null);
        if (pending.current === null && lastTime.current > 0) pending.current = lastTime.current;
      },
      onRateChange: (e) => {
        // The load algorithm resets the rate to the default; keep the user's choice.
        const el = e.currentTarget;
        if (Math.abs(el.playbackRate - rateRef.current) > 1e-6) el.playbackRate = rateRef.current;
      },
      onVolumeChange: (e) => setVolumeState(e.currentTarget.volume),
    };
  }, []);

  return {
    audioRef,
    bind,
    currentTime,
    duration,
    playing,
    rate,
    volume,
    failure,
    seek,
    toggle,
    play,
    pause,
    skip,
    setRate,
    slower,
    faster,
    setVolume,
  };
}
