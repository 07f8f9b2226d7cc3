import { execFileSync } from 'node:child_process';

/** One execution slot of the GPU worker; `device` is what CUDA_VISIBLE_DEVICES gets ('' = no GPU). */
export interface Slot {
  index: number;
  device: string;
}

/** The GPUs this host shows: CUDA_VISIBLE_DEVICES when set, else nvidia-smi's list, else none. */
export function detectGpuDevices(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.CUDA_VISIBLE_DEVICES !== undefined) {
    return env.CUDA_VISIBLE_DEVICES.split(',')
      .map((d) => d.trim())
      .filter((d) => d !== '' && d !== '-1');
  }
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=index', '--format=csv,noheader'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    return out
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * Hands out slots so that two concurrent trainings never share a GPU. The worker's activity
 * concurrency equals the slot count, so acquire never waits in practice; it queues to be safe.
 */
export class SlotPool {
  private readonly free: Slot[];
  private readonly waiters: ((slot: Slot) => void)[] = [];

  constructor(readonly slots: Slot[]) {
    this.free = [...slots];
  }

  /** `count` slots over the given devices (round-robin); with no device, CPU-only slots. */
  static forDevices(devices: string[], count = Math.max(1, devices.length)): SlotPool {
    return new SlotPool(Array.from({ length: count }, (_, index) => ({ index, device: devices.length ? devices[index % devices.length]! : '' })));
  }

  async acquire(): Promise<Slot> {
    const slot = this.free.shift();
    if (slot) return slot;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(slot: Slot): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(slot);
    else this.free.push(slot);
  }
}
