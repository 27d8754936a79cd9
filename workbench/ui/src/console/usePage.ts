// usePage: the load and save states settings pages share — loading while
// the first read runs, busy while a change is sent, the error worded in the
// reader's language (errorText), a note when a change is done.
import { ref } from 'vue'
import { errorText } from '../errors'

export function usePage() {
  const loading = ref(true)
  const busy = ref(false)
  const error = ref('')
  const note = ref('')

  // read runs a load; failed words its error (e.g. "无法加载…：{msg}").
  async function read(f: () => Promise<void>, failed: (msg: string) => string = (m) => m): Promise<boolean> {
    loading.value = true
    error.value = ''
    try {
      await f()
      return true
    } catch (e) {
      error.value = failed(errorText(e))
      return false
    } finally {
      loading.value = false
    }
  }

  // act sends a change; done is the note shown when it went through.
  async function act(f: () => Promise<void>, done = ''): Promise<boolean> {
    busy.value = true
    error.value = ''
    note.value = ''
    try {
      await f()
      note.value = done
      return true
    } catch (e) {
      error.value = errorText(e)
      return false
    } finally {
      busy.value = false
    }
  }

  return { loading, busy, error, note, read, act }
}
