import { Worker, type NativeConnection } from '@temporalio/worker';
import { createGpuActivities } from '../activities/index.js';
import { loadConfig, type HasteConfig } from '../infra/config.js';
import { detectGpuDevices, SlotPool } from '../infra/gpu-slots.js';
import { TASK_QUEUES } from '../schemas/task-queues.js';
import { connectWorker } from './connection.js';

export interface GpuWorkerOptions {
  heartbeatEveryMs?: number;
}

/** One execution slot per GPU (HASTE_GPU_SLOTS overrides; 1 on a CPU host), each pinned through CUDA_VISIBLE_DEVICES. */
export async function createGpuWorker(config: HasteConfig, connection: NativeConnection, options: GpuWorkerOptions = {}): Promise<{ worker: Worker; slots: SlotPool }> {
  const devices = detectGpuDevices();
  const slots = SlotPool.forDevices(devices, config.gpuSlots ?? Math.max(1, devices.length));
  const worker = await Worker.create({
    connection,
    namespace: config.namespace,
    taskQueue: TASK_QUEUES.gpu,
    activities: createGpuActivities({ config, slots, heartbeatEveryMs: options.heartbeatEveryMs }),
    maxConcurrentActivityTaskExecutions: slots.slots.length,
    // Send each checkpoint to the server within a second: a crash then recomputes at most one interval.
    maxHeartbeatThrottleInterval: '1 second',
    defaultHeartbeatThrottleInterval: '1 second',
    shutdownGraceTime: '10 seconds',
  });
  return { worker, slots };
}

/** `haste worker gpu`: runs until SIGINT/SIGTERM; in-flight trainings are cancelled and their process groups killed. */
export async function runGpuWorker(config = loadConfig()): Promise<void> {
  const connection = await connectWorker(config);
  try {
    const { worker, slots } = await createGpuWorker(config, connection);
    const where = slots.slots.map((s) => (s.device === '' ? 'cpu' : `cuda:${s.device}`)).join(', ');
    console.error(`gpu worker polling ${TASK_QUEUES.gpu} at ${config.temporalAddress} with ${slots.slots.length} slot(s): ${where}`);
    await worker.run();
  } finally {
    await connection.close();
  }
}
