// officiant window close: the operator says the Android tools have finished; the window closes and its session
// goes on to record what was signed. Exit 0 when it closed, 3 when no window is open at the socket.
import { askWindow, HelperError, windowSocket } from '../helpers/window-client.js';

export async function windowCloseCommand(opts: { socket?: string }, print: (l: string) => void): Promise<number> {
  try {
    const answer = await askWindow({ op: 'close' }, opts.socket ?? windowSocket());
    if (!answer.ok) {
      print(`officiant: the signing window did not close: ${answer.error ?? 'no reason given'}`);
      return 1;
    }
    print(`signing window closed: ${answer.signatures ?? 0} signature(s) made; the session records them now`);
    return 0;
  } catch (err) {
    if (err instanceof HelperError) {
      process.stderr.write(`officiant: ${err.message}\n`);
      return 3;
    }
    throw err;
  }
}
