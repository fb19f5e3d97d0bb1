<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.16-Białowieża" styleCategories="Symbology|Labeling" labelsEnabled="1">
 <renderer-v2 type="graduatedSymbol" attr="share_of_jobs" graduatedMethod="GraduatedColor" symbollevels="0" forceraster="0" enableorderby="0">
  <ranges>
   <range lower="0" upper="0.2" symbol="0" label="selected in 0-20 % of jobs" render="true"/>
   <range lower="0.2" upper="0.4" symbol="1" label="20-40 %" render="true"/>
   <range lower="0.4" upper="0.6" symbol="2" label="40-60 %" render="true"/>
   <range lower="0.6" upper="0.8" symbol="3" label="60-80 %" render="true"/>
   <range lower="0.8" upper="1.0" symbol="4" label="80-100 %" render="true"/>
  </ranges>
  <symbols>
   <symbol type="fill" name="0" alpha="0.8" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleFill" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="color" type="QString" value="255,255,178,255"/>
      <Option name="style" type="QString" value="solid"/>
      <Option name="outline_color" type="QString" value="80,40,20,255"/>
      <Option name="outline_style" type="QString" value="solid"/>
      <Option name="outline_width" type="QString" value="0.4"/>
      <Option name="outline_width_unit" type="QString" value="MM"/>
     </Option>
    </layer>
   </symbol>
   <symbol type="fill" name="1" alpha="0.8" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleFill" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="color" type="QString" value="254,204,92,255"/>
      <Option name="style" type="QString" value="solid"/>
      <Option name="outline_color" type="QString" value="80,40,20,255"/>
      <Option name="outline_style" type="QString" value="solid"/>
      <Option name="outline_width" type="QString" value="0.4"/>
      <Option name="outline_width_unit" type="QString" value="MM"/>
     </Option>
    </layer>
   </symbol>
   <symbol type="fill" name="2" alpha="0.8" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleFill" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="color" type="QString" value="253,141,60,255"/>
      <Option name="style" type="QString" value="solid"/>
      <Option name="outline_color" type="QString" value="80,40,20,255"/>
      <Option name="outline_style" type="QString" value="solid"/>
      <Option name="outline_width" type="QString" value="0.4"/>
      <Option name="outline_width_unit" type="QString" value="MM"/>
     </Option>
    </layer>
   </symbol>
   <symbol type="fill" name="3" alpha="0.8" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleFill" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="color" type="QString" value="240,59,32,255"/>
      <Option name="style" type="QString" value="solid"/>
      <Option name="outline_color" type="QString" value="80,40,20,255"/>
      <Option name="outline_style" type="QString" value="solid"/>
      <Option name="outline_width" type="QString" value="0.4"/>
      <Option name="outline_width_unit" type="QString" value="MM"/>
     </Option>
    </layer>
   </symbol>
   <symbol type="fill" name="4" alpha="0.8" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleFill" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="color" type="QString" value="189,0,38,255"/>
      <Option name="style" type="QString" value="solid"/>
      <Option name="outline_color" type="QString" value="80,40,20,255"/>
      <Option name="outline_style" type="QString" value="solid"/>
      <Option name="outline_width" type="QString" value="0.4"/>
      <Option name="outline_width_unit" type="QString" value="MM"/>
     </Option>
    </layer>
   </symbol>
  </symbols>
 </renderer-v2>
 <labeling type="simple">
  <settings calloutType="simple">
   <text-style fieldName="jobs_selected" isExpression="0" fontSize="9" fontSizeUnit="Point" textColor="20,20,20,255" textOpacity="1" multilineHeight="1">
    <text-buffer bufferDraw="1" bufferSize="0.8" bufferSizeUnits="MM" bufferColor="255,255,255,255" bufferOpacity="1"/>
   </text-style>
   <text-format multilineAlign="1" wrapChar="" autoWrapLength="0"/>
   <placement placement="1" dist="0" offsetType="0" quadOffset="4"/>
   <rendering obstacle="1" displayAll="0" limitNumLabels="0"/>
  </settings>
 </labeling>
 <blendMode>0</blendMode>
 <featureBlendMode>0</featureBlendMode>
 <layerOpacity>1</layerOpacity>
</qgis>
