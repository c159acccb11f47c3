/** A post's files: images previewed, every file downloadable (fetched with the session, then saved). */
import { useEffect, useState } from "preact/hooks";
import type { FileInfo } from "../types";
import { useStore } from "../use-store";

export function FileList(props: { files: FileInfo[] }) {
  return (
    <ul class="files">
      {props.files.map((f) => (
        <FileView key={f.id} file={f} />
      ))}
    </ul>
  );
}

function FileView({ file }: { file: FileInfo }) {
  const store = useStore();
  const [preview, setPreview] = useState<string | undefined>(undefined);
  const image = file.mime_type.startsWith("image/");
  useEffect(() => {
    if (!image || !store.api) return;
    let url: string | undefined;
    void store.api.fileBlob(file.id).then(
      (blob) => setPreview((url = URL.createObjectURL(blob))),
      () => undefined,
    );
    return () => url && URL.revokeObjectURL(url);
  }, [file.id]);
  const download = async () => {
    const blob = await store.api!.fileBlob(file.id);
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = file.name;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  };
  return (
    <li class="file">
      {preview && <img src={preview} alt={file.name} />}
      <span class="file-name">📄 {file.name}</span>{" "}
      <span class="file-size">{formatSize(file.size)}</span>
      <button class="quiet" onClick={() => void download()}>
        Download {file.name}
      </button>
    </li>
  );
}

function formatSize(bytes: number): string {
  return bytes < 1024
    ? `${bytes} B`
    : bytes < 1024 * 1024
      ? `${(bytes / 1024).toFixed(1)} KB`
      : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
