/**
 * `npm run manifest -- --url https://pas.example.it`
 * Writes the Excel add-in manifest for a deployment's base URL:
 * manifests/manifest.xml (add-in only XML manifest: the widest Excel support)
 * and manifests/json/ (the unified JSON manifest converted from it with
 * office-addin-manifest-converter, with its icons), then validates the JSON
 * one offline against the schemas shipped in office-addin-manifest.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const SCHEMA_VERSION = '1.23';
const SCHEMA_URL = `https://developer.microsoft.com/json-schemas/teams/v${SCHEMA_VERSION}/MicrosoftTeams.schema.json`;

/** A fixed id: the same add-in across deployments and manifest regenerations. */
export const ADDIN_ID = '6f1d4c2a-8b3e-4f5a-9c7d-2e1b0a9f8c31';

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function manifestXml(baseUrl: string, version = '1.0.0.0'): string {
  const url = new URL(baseUrl);
  if (url.protocol !== 'https:' && url.hostname !== 'localhost') throw new Error(`Office requires HTTPS for add-ins: ${baseUrl}`);
  const base = xmlEscape(url.origin + url.pathname.replace(/\/$/, ''));
  const icon = (size: number) => `${base}/addin/assets/icon-${size}.png`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<OfficeApp xmlns="http://schemas.microsoft.com/office/appforoffice/1.1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:bt="http://schemas.microsoft.com/office/officeappbasictypes/1.0" xmlns:ov="http://schemas.microsoft.com/office/taskpaneappversionoverrides" xsi:type="TaskPaneApp">
  <Id>${ADDIN_ID}</Id>
  <Version>${version}</Version>
  <ProviderName>PAS cubi</ProviderName>
  <DefaultLocale>it-IT</DefaultLocale>
  <DisplayName DefaultValue="PAS cubi">
    <Override Locale="en-US" Value="PAS cubes"/>
  </DisplayName>
  <Description DefaultValue="Tabelle pivot e report del Portale per l'Analisi Sociale nella cartella di lavoro, aggiornabili.">
    <Override Locale="en-US" Value="Pivot tables and reports of the Social Analysis Portal in your workbook, refreshable."/>
  </Description>
  <IconUrl DefaultValue="${icon(32)}"/>
  <HighResolutionIconUrl DefaultValue="${icon(64)}"/>
  <SupportUrl DefaultValue="${base}/docs"/>
  <AppDomains>
    <AppDomain>${base}</AppDomain>
  </AppDomains>
  <Hosts>
    <Host Name="Workbook"/>
  </Hosts>
  <Requirements>
    <Sets DefaultMinVersion="1.1">
      <Set Name="ExcelApi" MinVersion="1.4"/>
    </Sets>
  </Requirements>
  <DefaultSettings>
    <SourceLocation DefaultValue="${base}/addin/taskpane.html"/>
  </DefaultSettings>
  <Permissions>ReadWriteDocument</Permissions>
  <VersionOverrides xmlns="http://schemas.microsoft.com/office/taskpaneappversionoverrides" xsi:type="VersionOverridesV1_0">
    <Hosts>
      <Host xsi:type="Workbook">
        <DesktopFormFactor>
          <GetStarted>
            <Title resid="GetStarted.Title"/>
            <Description resid="GetStarted.Description"/>
            <LearnMoreUrl resid="GetStarted.LearnMoreUrl"/>
          </GetStarted>
          <FunctionFile resid="Commands.Url"/>
          <ExtensionPoint xsi:type="PrimaryCommandSurface">
            <OfficeTab id="TabData">
              <Group id="PAS.Group">
                <Label resid="Group.Label"/>
                <Icon>
                  <bt:Image size="16" resid="Icon.16"/>
                  <bt:Image size="32" resid="Icon.32"/>
                  <bt:Image size="80" resid="Icon.80"/>
                </Icon>
                <Control xsi:type="Button" id="PAS.OpenPane">
                  <Label resid="Button.Label"/>
                  <Supertip>
                    <Title resid="Button.Label"/>
                    <Description resid="Button.Tooltip"/>
                  </Supertip>
                  <Icon>
                    <bt:Image size="16" resid="Icon.16"/>
                    <bt:Image size="32" resid="Icon.32"/>
                    <bt:Image size="80" resid="Icon.80"/>
                  </Icon>
                  <Action xsi:type="ShowTaskpane">
                    <TaskpaneId>PAS.Taskpane</TaskpaneId>
                    <SourceLocation resid="Taskpane.Url"/>
                  </Action>
                </Control>
              </Group>
            </OfficeTab>
          </ExtensionPoint>
        </DesktopFormFactor>
      </Host>
    </Hosts>
    <Resources>
      <bt:Images>
        <bt:Image id="Icon.16" DefaultValue="${icon(16)}"/>
        <bt:Image id="Icon.32" DefaultValue="${icon(32)}"/>
        <bt:Image id="Icon.80" DefaultValue="${icon(80)}"/>
      </bt:Images>
      <bt:Urls>
        <bt:Url id="Commands.Url" DefaultValue="${base}/addin/commands.html"/>
        <bt:Url id="Taskpane.Url" DefaultValue="${base}/addin/taskpane.html"/>
        <bt:Url id="GetStarted.LearnMoreUrl" DefaultValue="${base}/docs"/>
      </bt:Urls>
      <bt:ShortStrings>
        <bt:String id="GetStarted.Title" DefaultValue="PAS cubi è pronto">
          <bt:Override Locale="en-US" Value="PAS cubes is ready"/>
        </bt:String>
        <bt:String id="Group.Label" DefaultValue="Analisi sociale">
          <bt:Override Locale="en-US" Value="Social analysis"/>
        </bt:String>
        <bt:String id="Button.Label" DefaultValue="PAS cubi">
          <bt:Override Locale="en-US" Value="PAS cubes"/>
        </bt:String>
      </bt:ShortStrings>
      <bt:LongStrings>
        <bt:String id="GetStarted.Description" DefaultValue="Apri il riquadro dalla scheda Dati per costruire tabelle e inserire i report.">
          <bt:Override Locale="en-US" Value="Open the pane from the Data tab to build tables and insert reports."/>
        </bt:String>
        <bt:String id="Button.Tooltip" DefaultValue="Apri il riquadro PAS cubi">
          <bt:Override Locale="en-US" Value="Open the PAS cubes pane"/>
        </bt:String>
      </bt:LongStrings>
    </Resources>
  </VersionOverrides>
</OfficeApp>
`;
}

/** Writes both manifests into `dir` and returns the path of the JSON one. */
export async function writeManifests(baseUrl: string, dir = 'manifests'): Promise<{ xml: string; json: string }> {
  mkdirSync(dir, { recursive: true });
  const xml = join(dir, 'manifest.xml');
  writeFileSync(xml, manifestXml(baseUrl));
  const jsonDir = join(dir, 'json');
  rmSync(jsonDir, { recursive: true, force: true });
  const { convert } = await import('office-addin-manifest-converter');
  const log = console.log;
  console.log = () => {}; // the converter chats on stdout
  try {
    // The converter's default (1.17) lacks getStartedMessages in office-addin-manifest's reader; 1.23 is the first version that has it.
    await convert(xml, jsonDir, false, SCHEMA_URL, SCHEMA_VERSION);
  } finally {
    console.log = log;
  }
  // The converter takes the en-US override as the default language and truncates long descriptions: restore ours.
  const manifestPath = join(jsonDir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { icons: { color: string; outline: string }; name: unknown; description: unknown };
  manifest.name = { short: 'PAS cubi', full: "PAS cubi - Portale per l'Analisi Sociale" };
  manifest.description = { short: "Tabelle e report del Portale per l'Analisi Sociale in Excel", full: "Tabelle pivot e report del Portale per l'Analisi Sociale nella cartella di lavoro, aggiornabili." };
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 4) + '\n');
  const enPath = join(jsonDir, 'en-us.json');
  const en = JSON.parse(readFileSync(enPath, 'utf8')) as Record<string, string>;
  en['description.short'] = 'Social Analysis Portal tables and reports in Excel';
  writeFileSync(enPath, JSON.stringify(en, null, 4) + '\n');
  // The JSON manifest refers to its icons by paths relative to itself: ship them there.
  for (const [kind, source] of [['color', 'addin/public/assets/icon-128.png'], ['outline', 'addin/public/assets/outline-32.png']] as const) {
    const target = join(jsonDir, manifest.icons[kind]);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(source, target);
  }
  for (const stray of ['color.png', 'outline.png']) rmSync(join(jsonDir, stray), { force: true });
  return { xml, json: join(jsonDir, 'manifest.json') };
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  const { values } = parseArgs({ options: { url: { type: 'string', default: 'https://localhost:3443' }, out: { type: 'string', default: 'manifests' } } });
  const paths = await writeManifests(values.url!, values.out!);
  const { validateManifest } = await import('office-addin-manifest');
  const result = await validateManifest(paths.json);
  if (!result.isValid) {
    console.error(`manifest JSON non valido:\n${(result.report?.errors ?? []).map((e) => `  ${e.content}`).join('\n')}`);
    process.exit(1);
  }
  console.log(`manifest scritti: ${paths.xml}, ${paths.json} (JSON validato offline)`);
}
