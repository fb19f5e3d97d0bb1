<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<!-- relocplan default style for allocations: village-to-site lines graduated by people -->
<qgis version="3.22.16-Białowieża" styleCategories="Symbology|Labeling|Fields" labelsEnabled="0">
 <renderer-v2 type="graduatedSymbol" attr="coalesce(&quot;people&quot;, 0)" graduatedMethod="GraduatedColor" symbollevels="0" forceraster="0" enableorderby="0">
  <ranges>
   <range lower="0.000000" upper="50.000000" symbol="0" label="1 - 50 people 人" render="true"/>
   <range lower="50.000000" upper="200.000000" symbol="1" label="50 - 200" render="true"/>
   <range lower="200.000000" upper="500.000000" symbol="2" label="200 - 500" render="true"/>
   <range lower="500.000000" upper="1000000.000000" symbol="3" label="500 and more 以上" render="true"/>
  </ranges>
  <symbols>
   <symbol type="line" name="0" alpha="0.9" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleLine" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="line_color" type="QString" value="158,202,225,255"/>
      <Option name="line_style" type="QString" value="solid"/>
      <Option name="line_width" type="QString" value="0.3"/>
      <Option name="line_width_unit" type="QString" value="MM"/>
      <Option name="capstyle" type="QString" value="round"/>
      <Option name="joinstyle" type="QString" value="round"/>
     </Option>
    </layer>
   </symbol>
   <symbol type="line" name="1" alpha="0.9" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleLine" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="line_color" type="QString" value="107,174,214,255"/>
      <Option name="line_style" type="QString" value="solid"/>
      <Option name="line_width" type="QString" value="0.6"/>
      <Option name="line_width_unit" type="QString" value="MM"/>
      <Option name="capstyle" type="QString" value="round"/>
      <Option name="joinstyle" type="QString" value="round"/>
     </Option>
    </layer>
   </symbol>
   <symbol type="line" name="2" alpha="0.9" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleLine" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="line_color" type="QString" value="49,130,189,255"/>
      <Option name="line_style" type="QString" value="solid"/>
      <Option name="line_width" type="QString" value="1.0"/>
      <Option name="line_width_unit" type="QString" value="MM"/>
      <Option name="capstyle" type="QString" value="round"/>
      <Option name="joinstyle" type="QString" value="round"/>
     </Option>
    </layer>
   </symbol>
   <symbol type="line" name="3" alpha="0.9" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleLine" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="line_color" type="QString" value="8,81,156,255"/>
      <Option name="line_style" type="QString" value="solid"/>
      <Option name="line_width" type="QString" value="1.6"/>
      <Option name="line_width_unit" type="QString" value="MM"/>
      <Option name="capstyle" type="QString" value="round"/>
      <Option name="joinstyle" type="QString" value="round"/>
     </Option>
    </layer>
   </symbol>
  </symbols>
 </renderer-v2>
 <blendMode>0</blendMode>
 <featureBlendMode>0</featureBlendMode>
 <layerOpacity>1</layerOpacity>
</qgis>
