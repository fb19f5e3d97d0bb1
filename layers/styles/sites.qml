<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<!-- relocplan default style for candidate resettlement sites: graduated by mean suitability, labelled with capacity -->
<qgis version="3.22.16-Białowieża" styleCategories="Symbology|Labeling|Fields" labelsEnabled="1">
 <renderer-v2 type="graduatedSymbol" attr="coalesce(&quot;mean_suitability&quot;, 0)" graduatedMethod="GraduatedColor" symbollevels="0" forceraster="0" enableorderby="0">
  <ranges>
   <range lower="0.000000" upper="0.500000" symbol="0" label="below 0.50 不适宜" render="true"/>
   <range lower="0.500000" upper="0.700000" symbol="1" label="0.50 - 0.70 较不适宜" render="true"/>
   <range lower="0.700000" upper="0.850000" symbol="2" label="0.70 - 0.85 较适宜" render="true"/>
   <range lower="0.850000" upper="0.900000" symbol="3" label="0.85 - 0.90 适宜" render="true"/>
   <range lower="0.900000" upper="0.950000" symbol="4" label="0.90 - 0.95 很适宜" render="true"/>
   <range lower="0.950000" upper="1.000000" symbol="5" label="0.95 - 1.00 最适宜" render="true"/>
  </ranges>
  <symbols>
   <symbol type="fill" name="0" alpha="0.9" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleFill" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="color" type="QString" value="215,25,28,255"/>
      <Option name="style" type="QString" value="solid"/>
      <Option name="outline_color" type="QString" value="35,35,35,255"/>
      <Option name="outline_style" type="QString" value="solid"/>
      <Option name="outline_width" type="QString" value="0.35"/>
      <Option name="outline_width_unit" type="QString" value="MM"/>
     </Option>
    </layer>
    <layer class="CentroidFill" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="point_on_surface" type="QString" value="1"/>
      <Option name="point_on_all_parts" type="QString" value="0"/>
     </Option>
     <symbol type="marker" name="@0@1" alpha="1" clip_to_extent="1" force_rhr="0">
      <layer class="SimpleMarker" enabled="1" pass="0" locked="0">
       <Option type="Map">
      <Option name="name" type="QString" value="square"/>
      <Option name="color" type="QString" value="215,25,28,255"/>
      <Option name="outline_color" type="QString" value="35,35,35,255"/>
      <Option name="outline_style" type="QString" value="solid"/>
      <Option name="outline_width" type="QString" value="0.3"/>
      <Option name="outline_width_unit" type="QString" value="MM"/>
      <Option name="size" type="QString" value="2.6"/>
      <Option name="size_unit" type="QString" value="MM"/>
       </Option>
      </layer>
     </symbol>
    </layer>
   </symbol>
   <symbol type="fill" name="1" alpha="0.9" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleFill" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="color" type="QString" value="253,174,97,255"/>
      <Option name="style" type="QString" value="solid"/>
      <Option name="outline_color" type="QString" value="35,35,35,255"/>
      <Option name="outline_style" type="QString" value="solid"/>
      <Option name="outline_width" type="QString" value="0.35"/>
      <Option name="outline_width_unit" type="QString" value="MM"/>
     </Option>
    </layer>
    <layer class="CentroidFill" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="point_on_surface" type="QString" value="1"/>
      <Option name="point_on_all_parts" type="QString" value="0"/>
     </Option>
     <symbol type="marker" name="@1@1" alpha="1" clip_to_extent="1" force_rhr="0">
      <layer class="SimpleMarker" enabled="1" pass="0" locked="0">
       <Option type="Map">
      <Option name="name" type="QString" value="square"/>
      <Option name="color" type="QString" value="253,174,97,255"/>
      <Option name="outline_color" type="QString" value="35,35,35,255"/>
      <Option name="outline_style" type="QString" value="solid"/>
      <Option name="outline_width" type="QString" value="0.3"/>
      <Option name="outline_width_unit" type="QString" value="MM"/>
      <Option name="size" type="QString" value="2.6"/>
      <Option name="size_unit" type="QString" value="MM"/>
       </Option>
      </layer>
     </symbol>
    </layer>
   </symbol>
   <symbol type="fill" name="2" alpha="0.9" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleFill" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="color" type="QString" value="255,255,191,255"/>
      <Option name="style" type="QString" value="solid"/>
      <Option name="outline_color" type="QString" value="35,35,35,255"/>
      <Option name="outline_style" type="QString" value="solid"/>
      <Option name="outline_width" type="QString" value="0.35"/>
      <Option name="outline_width_unit" type="QString" value="MM"/>
     </Option>
    </layer>
    <layer class="CentroidFill" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="point_on_surface" type="QString" value="1"/>
      <Option name="point_on_all_parts" type="QString" value="0"/>
     </Option>
     <symbol type="marker" name="@2@1" alpha="1" clip_to_extent="1" force_rhr="0">
      <layer class="SimpleMarker" enabled="1" pass="0" locked="0">
       <Option type="Map">
      <Option name="name" type="QString" value="square"/>
      <Option name="color" type="QString" value="255,255,191,255"/>
      <Option name="outline_color" type="QString" value="35,35,35,255"/>
      <Option name="outline_style" type="QString" value="solid"/>
      <Option name="outline_width" type="QString" value="0.3"/>
      <Option name="outline_width_unit" type="QString" value="MM"/>
      <Option name="size" type="QString" value="2.6"/>
      <Option name="size_unit" type="QString" value="MM"/>
       </Option>
      </layer>
     </symbol>
    </layer>
   </symbol>
   <symbol type="fill" name="3" alpha="0.9" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleFill" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="color" type="QString" value="166,217,106,255"/>
      <Option name="style" type="QString" value="solid"/>
      <Option name="outline_color" type="QString" value="35,35,35,255"/>
      <Option name="outline_style" type="QString" value="solid"/>
      <Option name="outline_width" type="QString" value="0.35"/>
      <Option name="outline_width_unit" type="QString" value="MM"/>
     </Option>
    </layer>
    <layer class="CentroidFill" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="point_on_surface" type="QString" value="1"/>
      <Option name="point_on_all_parts" type="QString" value="0"/>
     </Option>
     <symbol type="marker" name="@3@1" alpha="1" clip_to_extent="1" force_rhr="0">
      <layer class="SimpleMarker" enabled="1" pass="0" locked="0">
       <Option type="Map">
      <Option name="name" type="QString" value="square"/>
      <Option name="color" type="QString" value="166,217,106,255"/>
      <Option name="outline_color" type="QString" value="35,35,35,255"/>
      <Option name="outline_style" type="QString" value="solid"/>
      <Option name="outline_width" type="QString" value="0.3"/>
      <Option name="outline_width_unit" type="QString" value="MM"/>
      <Option name="size" type="QString" value="2.6"/>
      <Option name="size_unit" type="QString" value="MM"/>
       </Option>
      </layer>
     </symbol>
    </layer>
   </symbol>
   <symbol type="fill" name="4" alpha="0.9" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleFill" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="color" type="QString" value="102,189,99,255"/>
      <Option name="style" type="QString" value="solid"/>
      <Option name="outline_color" type="QString" value="35,35,35,255"/>
      <Option name="outline_style" type="QString" value="solid"/>
      <Option name="outline_width" type="QString" value="0.35"/>
      <Option name="outline_width_unit" type="QString" value="MM"/>
     </Option>
    </layer>
    <layer class="CentroidFill" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="point_on_surface" type="QString" value="1"/>
      <Option name="point_on_all_parts" type="QString" value="0"/>
     </Option>
     <symbol type="marker" name="@4@1" alpha="1" clip_to_extent="1" force_rhr="0">
      <layer class="SimpleMarker" enabled="1" pass="0" locked="0">
       <Option type="Map">
      <Option name="name" type="QString" value="square"/>
      <Option name="color" type="QString" value="102,189,99,255"/>
      <Option name="outline_color" type="QString" value="35,35,35,255"/>
      <Option name="outline_style" type="QString" value="solid"/>
      <Option name="outline_width" type="QString" value="0.3"/>
      <Option name="outline_width_unit" type="QString" value="MM"/>
      <Option name="size" type="QString" value="2.6"/>
      <Option name="size_unit" type="QString" value="MM"/>
       </Option>
      </layer>
     </symbol>
    </layer>
   </symbol>
   <symbol type="fill" name="5" alpha="0.9" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleFill" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="color" type="QString" value="26,152,80,255"/>
      <Option name="style" type="QString" value="solid"/>
      <Option name="outline_color" type="QString" value="35,35,35,255"/>
      <Option name="outline_style" type="QString" value="solid"/>
      <Option name="outline_width" type="QString" value="0.35"/>
      <Option name="outline_width_unit" type="QString" value="MM"/>
     </Option>
    </layer>
    <layer class="CentroidFill" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="point_on_surface" type="QString" value="1"/>
      <Option name="point_on_all_parts" type="QString" value="0"/>
     </Option>
     <symbol type="marker" name="@5@1" alpha="1" clip_to_extent="1" force_rhr="0">
      <layer class="SimpleMarker" enabled="1" pass="0" locked="0">
       <Option type="Map">
      <Option name="name" type="QString" value="square"/>
      <Option name="color" type="QString" value="26,152,80,255"/>
      <Option name="outline_color" type="QString" value="35,35,35,255"/>
      <Option name="outline_style" type="QString" value="solid"/>
      <Option name="outline_width" type="QString" value="0.3"/>
      <Option name="outline_width_unit" type="QString" value="MM"/>
      <Option name="size" type="QString" value="2.6"/>
      <Option name="size_unit" type="QString" value="MM"/>
       </Option>
      </layer>
     </symbol>
    </layer>
   </symbol>
  </symbols>
 </renderer-v2>
 <labeling type="simple">
  <settings calloutType="simple">
   <text-style fieldName="&quot;site_id&quot; || '\n' || format_number(coalesce(&quot;capacity_people&quot;, 0), 0) || ' 人'" isExpression="1" fontFamily="WenQuanYi Micro Hei" fontSize="7" fontSizeUnit="Point" textColor="40,40,40,255" textOpacity="1" multilineHeight="1">
    <text-buffer bufferDraw="1" bufferSize="0.8" bufferSizeUnits="MM" bufferColor="255,255,255,255" bufferOpacity="0.85"/>
   </text-style>
   <text-format multilineAlign="1" wrapChar="" autoWrapLength="0"/>
   <placement placement="1" dist="0" distUnits="MM" offsetType="0" quadOffset="4"/>
   <rendering obstacle="1" displayAll="0" limitNumLabels="0" scaleVisibility="0"/>
  </settings>
 </labeling>
 <blendMode>0</blendMode>
 <featureBlendMode>0</featureBlendMode>
 <layerOpacity>1</layerOpacity>
</qgis>
